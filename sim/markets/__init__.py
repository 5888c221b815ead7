"""Pure market-clearing functions over arrays: compute, talent, capital and the race."""
