"""Rules: packs read from YAML, conditions compiled for durable-rules, findings judged as tables."""
