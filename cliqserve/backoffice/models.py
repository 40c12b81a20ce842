"""The back office owns no data: its pages read and write through the other domains'
selectors and services, exactly as the API does."""
