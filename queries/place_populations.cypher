// name: place_populations
// purpose: the population of every place that has one (for loaders that turn percentages into people)
// params: (none)
// returns: code, population
MATCH (p:Place)
WHERE p.population IS NOT NULL
RETURN p.code AS code, p.population AS population
