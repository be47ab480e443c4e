// name: merge_delivers
// purpose: link providers to the services they deliver
// params: $rows, $source, $run
// returns: (nothing)
UNWIND $rows AS row
MATCH (b:Service {id: row.b})
MATCH (a:Organisation {id: row.a})
// from the service's side: a service has one provider, a provider may have thousands of services
MERGE (b)<-[r:DELIVERS]-(a)
SET r.source = $source, r.load_run = $run, r.sources = CASE WHEN $source IN coalesce(r.sources, []) THEN r.sources ELSE coalesce(r.sources, []) + [$source] END
