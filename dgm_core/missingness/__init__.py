"""How values go missing: mechanisms on tables (``tabular``) and on images (``clipping``)."""
