"""Customer channels: one small class per channel over a shared contract (bot.channels.base)."""
