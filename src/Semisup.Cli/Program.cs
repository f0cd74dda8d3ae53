using Semisup;
using Semisup.Cli;

if (!ServeCommand.Runs(args)) NativeAllocator.KeepFreedMemory();
return await SemisupCli.RunAsync(args);
