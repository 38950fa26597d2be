"""One file in, one `ReturnData` out: guards against hostile files, legacy
text, labels, units of measure, and the long / wide / mapped layouts (each a
module that never imports the dispatcher), the model list and the parallel
reader."""
