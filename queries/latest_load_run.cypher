// name: latest_load_run
// purpose: the newest load run and how many there are: a version stamp for caches
// params: (none)
// returns: id, runs
OPTIONAL MATCH (l:LoadRun)
WITH l ORDER BY l.finished DESC, l.id DESC
WITH collect(l.id) AS ids
RETURN ids[0] AS id, size(ids) AS runs
