"""The reporting core shared by every platform: errors, auth, HTTP policy, paging, async
report jobs, date windows, numbers and the two stream kinds (entities, daily reports)."""
