// name: place_boundaries
// purpose: the stored boundaries (GeoJSON geometry text) of the places in $codes
// params: $codes
// returns: code, boundary
MATCH (p:Place)
WHERE p.code IN $codes AND p.boundary IS NOT NULL
RETURN p.code AS code, p.boundary AS boundary
ORDER BY code
