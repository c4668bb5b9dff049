-- One row per TikTok advertiser, as last copied: its currency and time zone are those of its
-- reports.
{{ ads_entity_staging('tiktok', 'tiktok_advertisers', 'account') }}
