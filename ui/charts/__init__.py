"""Plotly figures for the pages, one module per chart family: DataFrame in, Figure out. No
Streamlit, no storage.

- `style`: colours, font, layout defaults, and the HTML-escaping of every text people typed;
- `heatmap`: the rater x provider heatmap (Overview);
- `network`: departments as a directed graph (Network);
- `bars`: loyalty bands, dimension scores, the customers' view, both directions of a pair, the
  perception gap (Department, Hotspots);
- `drivers`: the importance-performance matrix (Department), with `labels` placing its point labels;
- `trends`: satisfaction over waves (Trends, Department, Hotspots).

Every builder takes already suppressed figures (hidden rows carry `suppressed = True` and no
value) and the texts to show, so the same figure works in English and Chinese. Colours: one
red-to-blue diverging scale centred on the organisation's mean (readable with red-green colour
blindness), a neutral grey for hidden cells, and the CJK font family so Chinese never shows as boxes.

Every trace has a `name`, so tests and callers find a trace by name, not by position: a trace in
the legend is named by its legend text (from `texts`), one that is not by a fixed English id
(e.g. "cells", "departments").
"""
