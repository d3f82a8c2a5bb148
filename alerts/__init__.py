"""Rules engine, alert windows and cooldowns, channels, the inbox. Empty for now: the layer is enforced."""
