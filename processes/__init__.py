"""The job-coaching process package as installed data: BPMN, DMN and label translations.

Designers edit these files in Camunda Modeler; this module only lets the installed program
find them (`importlib.resources.files("polku.processes")`), in a source checkout and in a wheel.
"""
