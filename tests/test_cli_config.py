"""The Hydra schema mirrored from sim.params, every shipped config option, and launcher configs.

Composition goes through Hydra's compose API in this process (no simulation),
so that a config file naming a parameter the model no longer has fails here.
"""

from __future__ import annotations

from importlib import resources

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from race_cli import schema
from sim.params import ParamError, SimParams, from_dict, iter_fields


@pytest.fixture(scope="module", autouse=True)
def registered():
    schema.register()


def compose_cfg(*overrides: str, hydra: bool = False):
    with initialize_config_module(config_module="configs", version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=hydra)


def group_options() -> list[tuple[str, str]]:
    root = resources.files("configs")
    return sorted((group.name, option.name.removesuffix(".yaml"))
                  for group in root.iterdir() if group.is_dir() and group.name != "hydra"
                  for option in group.iterdir() if option.name.endswith(".yaml"))


def test_schema_mirrors_every_parameter_with_its_default():
    top = schema.top_level_schema()
    cfg = OmegaConf.structured(top)
    for key, default, _ in iter_fields():
        assert OmegaConf.select(cfg, key) == default, key
    assert cfg.replicates == 1
    assert not top.__dataclass_params__.frozen
    assert schema.mirror(SimParams) is schema.mirror(SimParams)


def test_schema_classes_are_found_by_name_for_pickling():
    import pickle

    from sim.params import TalentParams

    assert schema.TalentParams is schema.mirror(TalentParams)
    assert schema.RaceSimConfig is schema.top_level_schema()
    cfg = OmegaConf.structured(schema.top_level_schema())
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    with pytest.raises(AttributeError):
        _ = schema.NoSuchParams


def test_default_config_is_the_default_parameters():
    cfg = compose_cfg()
    params, cli = schema.to_params(cfg)
    assert params == SimParams()
    assert cli == {"replicates": 1}


def test_overrides_reach_the_parameters():
    cfg = compose_cfg("steps=24", "seed=7", "talent.candidates=12", "replicates=3")
    params, cli = schema.to_params(cfg)
    assert (params.steps, params.seed, params.talent.candidates) == (24, 7, 12)
    assert cli["replicates"] == 3


@pytest.mark.parametrize(("group", "option"), group_options())
def test_every_config_option_composes_into_valid_parameters(group, option):
    cfg = compose_cfg(f"{group}={option}")
    params, _ = schema.to_params(cfg)
    assert isinstance(params, SimParams)


def test_scenario_and_policy_options_set_their_values():
    abs2016, _ = schema.to_params(compose_cfg("scenario=abs2016"))
    assert abs2016.safety.mode == "best_response"
    assert abs2016.safety.br_information == "none"
    assert abs2016.partnership.enabled is False
    small, _ = schema.to_params(compose_cfg("scenario=small"))
    assert small.scenario.n_researchers < SimParams().scenario.n_researchers / 10
    assert schema.to_params(compose_cfg("partnership=none"))[0].partnership.enabled is False
    assert schema.to_params(compose_cfg("downstream=none"))[0].downstream.partner_share == 0.0
    gov = schema.to_params(compose_cfg("governance=exclusivity_ban"))[0].governance
    assert gov.exclusivity_ban is True


def test_out_of_range_value_raises_param_error_naming_key():
    with pytest.raises(ParamError, match=r"downstream\.partner_share=1\.5"):
        schema.to_params(compose_cfg("downstream.partner_share=1.5"))
    with pytest.raises(ParamError, match="replicates"):
        schema.to_params(compose_cfg("replicates=-1"))


def test_hydra_settings_of_the_primary_config():
    cfg = compose_cfg("seed=7", hydra=True)
    assert cfg.hydra.job_logging.loggers.MESA.level == "WARNING"
    assert cfg.hydra.run.dir.endswith("_default_seed7")
    assert cfg.hydra.callbacks.sweep._target_ == "race_cli.sweep.SweepCallback"


def test_launcher_choices_compose():
    parallel = compose_cfg("hydra/launcher=parallel", hydra=True).hydra.launcher
    assert parallel.n_jobs == -1 and parallel.prefer == "processes"
    assert int(parallel.batch_size) == 1
    assert parallel._target_.endswith("JoblibLauncher")
    slurm = compose_cfg("hydra/launcher=slurm", hydra=True).hydra.launcher
    assert slurm._target_.endswith("SlurmLauncher")
    for key in ("partition", "timeout_min", "cpus_per_task", "array_parallelism", "setup"):
        assert key in slurm, key
    assert slurm.cpus_per_task == 1
    local = compose_cfg("hydra/launcher=slurm_local", hydra=True).hydra.launcher
    assert local._target_.endswith("LocalLauncher")


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("talent.candidate=3", "unknown key in talent (did you mean candidates?)"),
        ("tallent.candidates=3", "unknown key in the top level (did you mean talent?)"),
        ("nonsense=1", "unknown key in the top level"),
        ("talent.candidates.x=1", "talent.candidates is a value"),
    ],
)
def test_unknown_override_keys_are_named_with_allowed_keys(arg, expected):
    message = schema.check_override_keys([arg])
    assert message is not None and expected in message
    assert "allowed:" in message or "is a value" in message


@pytest.mark.parametrize("arg", ["steps=3", "scenario=small", "talent.candidates=2",
                                 "hydra.run.dir=x", "hydra/launcher=parallel", "-m",
                                 "+design_point=glob(*)", "--config-name", "config"])
def test_valid_arguments_pass_the_key_check(arg):
    assert schema.check_override_keys([arg]) is None


def test_from_dict_round_trip_of_the_composed_config():
    cfg = compose_cfg("scenario=small")
    data, _ = schema.split_cli_keys(OmegaConf.to_container(cfg, resolve=True))
    assert from_dict(data).scenario.name == "small"
