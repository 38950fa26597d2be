"""What dvk writes: blank forms, the consolidated workbook, feedback copies,
the Markdown and Word reports, the chart, the shared styles and output names."""
