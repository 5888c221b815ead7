"""Many similar actors as one vectorised object each: researchers and startups."""
