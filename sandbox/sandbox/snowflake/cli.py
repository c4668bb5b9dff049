"""The emulated plugins' executables: stock programs, run inside `emulate()`.

- `target-snowflake-emulated`: MeltanoLabs target-snowflake's own `TargetSnowflake.cli()`,
  unchanged, the program production runs.
- `dbt-snowflake-emulated`: dbt's own CLI with the dbt-snowflake adapter
  (`dbt build --target snowflake`).

Both take the emulator's directory from SNOWFLAKE_EMULATOR_DIR (the Meltano plugins set it).
"""

from __future__ import annotations

from sandbox.snowflake.emulator import emulate, emulator_dir


def target_main() -> None:
    with emulate(emulator_dir()):
        # Imported inside the patch, like any client: nothing in it knows about the emulator.
        from target_snowflake.target import TargetSnowflake

        TargetSnowflake.cli()


def dbt_main() -> None:
    with emulate(emulator_dir()):
        from dbt.cli.main import cli

        cli()
