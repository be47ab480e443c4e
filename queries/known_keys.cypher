// name: known_keys
// purpose: keys already in the store, for validating references across loads
// params: (none)
// returns: places, categories, organisations, services
OPTIONAL MATCH (p:Place) WITH collect(p.code) AS places
OPTIONAL MATCH (c:Category) WITH places, collect(c.code) AS categories
OPTIONAL MATCH (o:Organisation) WITH places, categories, collect(o.id) AS organisations
OPTIONAL MATCH (s:Service) WITH places, categories, organisations, collect(s.id) AS services
RETURN places, categories, organisations, services
