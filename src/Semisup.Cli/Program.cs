using Semisup;
using Semisup.Cli;

NativeAllocator.KeepFreedMemory();
return await SemisupCli.RunAsync(args);
