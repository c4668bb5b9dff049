-- One row per Meta ad creative (the image/video and copy an ad shows), as last copied.
{{ ads_entity_staging('meta', 'meta_adcreatives', 'creative', ids=['account_id']) }}
