// name: merge_postcode_sectors
// purpose: create or update the postcode sectors of a postcode lookup (keyed by source, lookup file and sector)
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MERGE (n:PostcodeSector {id: $source + '|' + row.key})
SET n += row.props, n.source = $source, n.load_run = $run, n.sources = CASE WHEN $source IN coalesce(n.sources, []) THEN n.sources ELSE coalesce(n.sources, []) + [$source] END
