// name: list_load_runs
// purpose: every load run, newest first
// params: (none)
// returns: id, source, format, paths, started, finished, hash, counts, warnings, status
MATCH (l:LoadRun)
RETURN l.id AS id, l.source AS source, l.format AS format, l.paths AS paths, l.started AS started,
       l.finished AS finished, l.hash AS hash, l.counts AS counts, l.warnings AS warnings, l.status AS status
ORDER BY l.finished DESC
