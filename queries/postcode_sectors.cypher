// name: postcode_sectors
// purpose: the stored postcode sectors with these sector codes (from every loaded lookup)
// params: $sectors
// returns: sector, units, combo, codes, load_run
MATCH (s:PostcodeSector)
WHERE s.sector IN $sectors
RETURN s.sector AS sector, s.units AS units, s.combo AS combo, s.codes AS codes, s.load_run AS load_run
ORDER BY load_run, sector
