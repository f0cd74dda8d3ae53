// The recipe format, the trainer and the runs were one namespace (Semisup.Training) before they were split.
global using Semisup.Recipes;
global using Semisup.Runs;
global using Semisup.Training;
