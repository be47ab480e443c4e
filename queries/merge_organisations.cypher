// name: merge_organisations
// purpose: create or update organisations nodes from canonical rows, recording the source and load run; a sector a loader derived (sector_basis set: OCDS flags, a charity number) never replaces one given without a basis
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MERGE (n:Organisation {id: row.key})
WITH n, row, CASE WHEN n.sector IS NOT NULL AND n.sector_basis IS NULL AND row.props.sector_basis IS NOT NULL THEN n.sector ELSE null END AS given
SET n += row.props, n.source = $source, n.load_run = $run, n.sources = CASE WHEN $source IN coalesce(n.sources, []) THEN n.sources ELSE coalesce(n.sources, []) + [$source] END
SET n.sector = coalesce(given, n.sector), n.sector_basis = CASE WHEN given IS NOT NULL THEN null WHEN row.props.sector IS NOT NULL THEN row.props.sector_basis ELSE n.sector_basis END
