"""One small declarative module per ad platform."""
