using System.CommandLine;
using Semisup.Data;
using Semisup.Reports;
using Spectre.Console;

namespace Semisup.Cli;

static class DataCommands
{
    public static readonly Option<string> Dataset = new("--dataset", "-d")
    {
        Description = "Dataset: mnist or fashion-mnist.",
        DefaultValueFactory = _ => "mnist",
    };

    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Directory holding the four IDX files (raw or .gz); read instead of $SEMISUP_DATA and the cache, and fetched into.",
    };

    public static Command Create()
    {
        var force = new Option<bool>("--force") { Description = "Fetch again even if verified files are present." };
        var fetch = new Command("fetch", "Download the dataset into the cache (or --data-dir), verifying every file's SHA-256.") { Dataset, DataDir, force };
        fetch.SetAction(async (parse, cancel) =>
        {
            var ds = Datasets.Get(parse.GetValue(Dataset)!);
            var store = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataDir)));
            await ConsoleProgress.FetchAsync(p => store.FetchAsync(ds, p, Console.Error.WriteLine, cancel, parse.GetValue(force)));
            Console.WriteLine($"{ds.Name}: ready in {store.TargetDir(ds)}");
            return 0;
        });

        var verify = new Command("verify", "Print each file's SHA-256 status; exits 1 unless all four are OK.") { Dataset, DataDir };
        verify.SetAction(parse =>
        {
            var ds = Datasets.Get(parse.GetValue(Dataset)!);
            var status = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataDir))).Verify(ds);
            foreach (var s in status)
                Console.WriteLine($"{s.State.ToString().ToUpperInvariant(),-10} {s.Path}{(s.State switch
                {
                    FileState.Ok => $"  sha256 {s.ActualSha256}",
                    FileState.Mismatch => $"  sha256 {s.ActualSha256}, expected {s.File.Sha256}",
                    FileState.Unreadable => $"  {s.Error}",
                    _ => $"  (run: semisup data fetch --dataset {ds.Name})",
                })}");
            return status.All(s => s.State == FileState.Ok) ? 0 : 1;
        });

        var output = new Option<string>("--output", "-o") { Description = "PNG file to write.", DefaultValueFactory = _ => "digits.png" };
        var count = new Option<int>("--count", "-n") { Description = "How many images (from the start of the split).", DefaultValueFactory = _ => 50 };
        var split = new Option<string>("--split") { Description = "train or test.", DefaultValueFactory = _ => "train" };
        var show = new Command("show", "Write a PNG grid of sample images with their labels.") { Dataset, DataDir, output, count, split };
        show.SetAction(async (parse, cancel) =>
        {
            var ds = Datasets.Get(parse.GetValue(Dataset)!);
            int n = parse.GetValue(count);
            if (n is < 1 or > 1000) throw new SemisupException($"--count {n}: give 1 to 1000 images.");
            var which = parse.GetValue(split);
            if (which is not ("train" or "test")) throw new SemisupException($"--split {which}: give train or test.");
            var store = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataDir)));
            var dir = await ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel));
            var files = DatasetFiles.Read(dir, ds);
            var (images, labels) = which == "train" ? (files.TrainImages, files.TrainLabels) : (files.TestImages, files.TestLabels);
            int h = images.Shape[1], w = images.Shape[2];
            var pixels = images.Data.Take(n * h * w).Select(b => b / 255f).ToArray();
            var captions = labels.Data.Take(n).Select(l => ClassNames.Of(ds)[l]).ToArray();
            DigitGrid.Save(parse.GetValue(output)!, pixels, h, w, captions);
            Console.WriteLine($"wrote {parse.GetValue(output)} ({n} {which} images of {ds.Name})");
            return 0;
        });

        return new Command("data", "Fetch, verify and look at datasets.") { fetch, verify, show };
    }
}
