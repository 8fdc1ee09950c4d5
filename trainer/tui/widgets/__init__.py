"""Small widgets the screens share: heatmap, bar chart, grade bar, test results."""
