"""Settings from the environment, read in one place: ``cnnviz.settings.env``."""
