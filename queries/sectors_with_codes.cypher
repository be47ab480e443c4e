// name: sectors_with_codes
// purpose: the sector codes of stored postcode sectors in which any of these GSS codes appears
// params: $codes
// returns: sector
MATCH (s:PostcodeSector)
WHERE size([x IN s.codes WHERE size([c IN $codes WHERE x CONTAINS c]) > 0]) > 0
RETURN DISTINCT s.sector AS sector
