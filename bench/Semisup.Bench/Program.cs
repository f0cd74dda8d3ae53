// Semisup's benchmarks: bench/run.sh runs each beside its PyTorch twin and prints the ratios.
// Usage: Semisup.Bench gamma|gamma-serve|fixmatch|fixmatch-serve|airbench|airbench-serve|decode-serve|ladder|augment|
// activations|scalar-race [threads=2] [steps=200] (the -serve modes answer bench/paired.py's requests on stdin;
// fixmatch and airbench: FixMatch's step of recipes/fixmatch-fast.json and recipes/images-fast.json; decode-serve:
// loading a folder of images; scalar-race: thousands of additions, exit code 1 if the TorchSharp failure it probes for
// happened). Results go to stdout as key=value lines, breakdowns to stderr.
using System.Globalization;
using static TorchSharp.torch;

string bench = args.Length > 0 ? args[0] : "gamma";
int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
int steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
// As the CLI does: without it glibc maps and unmaps the large activations of every call (src/Semisup/NativeAllocator.cs).
Semisup.NativeAllocator.KeepFreedMemory();
set_num_threads(threads);
manual_seed(0);
switch (bench)
{
    case "gamma": GammaBench.Run(threads, steps); break;
    case "gamma-serve": GammaBench.Serve(); break;
    case "fixmatch": FixMatchBench.Run(FixMatchBench.FixMatchFast, threads, steps); break;
    case "fixmatch-serve": FixMatchBench.Serve(FixMatchBench.FixMatchFast); break;
    case "airbench": FixMatchBench.Run(FixMatchBench.ImagesFast, threads, steps); break;
    case "airbench-serve": FixMatchBench.Serve(FixMatchBench.ImagesFast); break;
    case "decode-serve": DecodeBench.Serve(threads); break;
    case "ladder": LadderBench.Run(threads, steps); break;
    case "augment": AugmentBench.Run(threads, steps); break;
    case "activations": ActivationBench.Run(threads, steps); break;
    case "scalar-race": return ScalarRaceProbe.Run(threads, steps);
    default: Console.Error.WriteLine($"unknown benchmark '{bench}': gamma, gamma-serve, fixmatch, fixmatch-serve, airbench, airbench-serve, decode-serve, ladder, augment, activations or scalar-race"); return 1;
}
return 0;
