"""The Present page's widgets: pick a finished run, edit its sections, export the HTML and train.py."""
