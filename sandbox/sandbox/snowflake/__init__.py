"""A local Snowflake for tests: fakesnow plus the user-stage statements it lacks (README.md)."""

from sandbox.snowflake.emulator import (
    EMULATOR_DIR_ENV,
    StageAdapter,
    UserStage,
    emulate,
    emulator_dir,
)

__all__ = ["EMULATOR_DIR_ENV", "StageAdapter", "UserStage", "emulate", "emulator_dir"]
