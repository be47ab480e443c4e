// name: last_load_run
// purpose: the latest completed load run of a source
// params: $source
// returns: id, hash, finished, counts (JSON text: rows per table)
MATCH (l:LoadRun {source: $source})
RETURN l.id AS id, l.hash AS hash, l.finished AS finished, l.counts AS counts
ORDER BY l.finished DESC
LIMIT 1
