/* The maps draw only ecomap's own boundaries (Plotly "geo" with every base layer hidden), yet Plotly
   fetches its world outline from cdn.plot.ly before it draws any geo map. The dashboard works offline,
   so it is given an empty world here instead: nothing of it is drawn, and nothing is fetched. */
window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
window.PlotlyGeoAssets.topojson.world_110m = window.PlotlyGeoAssets.topojson.world_110m ||
    {type: "Topology", objects: {}, arcs: []};
