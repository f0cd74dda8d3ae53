using Semisup.Cli;

return await SemisupCli.RunAsync(args);
