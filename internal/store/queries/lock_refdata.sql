-- Serialises imports, so that two at once cannot interleave their deletes and inserts.
LOCK TABLE refdata_import IN EXCLUSIVE MODE
