"""Measuring the data paths on the real kernel (``vnetlab bench dataplane``): paths, runner, measures, the costs file writer."""
