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
        var count = new Option<int?>("--count", "-n") { Description = "How many images (from the start of the split): 50 by default, every labeled image with --split labeled." };
        var split = new Option<string>("--split") { Description = "train, test, or labeled: a run's labeled subset, by class (the split is a function of --labels, --seed and --scheme).", DefaultValueFactory = _ => "train" };
        var labels = new Option<int?>("--labels") { Description = "With --split labeled: the run's label count (default 100)." };
        var seed = new Option<ulong?>("--seed") { Description = "With --split labeled: the run's seed (default 1)." };
        var scheme = new Option<string?>("--scheme") { Description = "With --split labeled: the run's split scheme, random (default) or lab (the lab's images, in file order)." };
        var show = new Command("show", "Write a PNG grid of images with their labels.") { Dataset, DataDir, output, count, split, labels, seed, scheme };
        show.SetAction(async (parse, cancel) =>
        {
            var ds = Datasets.Get(parse.GetValue(Dataset)!);
            var which = parse.GetValue(split);
            if (which is not ("train" or "test" or "labeled")) throw new SemisupException($"--split {which}: give train, test or labeled.");
            if (which != "labeled" && (parse.GetValue(labels) != null || parse.GetValue(seed) != null || parse.GetValue(scheme) != null))
                throw new SemisupException("--labels, --seed and --scheme choose a labeled subset: use them with --split labeled.");
            int labelCount = parse.GetValue(labels) ?? 100;
            var schemeName = parse.GetValue(scheme) ?? Split.Random;
            Split.Check(labelCount, schemeName);
            // Known before the data is read: a labeled subset has exactly --labels images.
            int n = parse.GetValue(count) ?? (which == "labeled" ? (labelCount == Split.AllLabels ? int.MaxValue : labelCount) : 50);
            if (n is < 1 or > 1000)
                throw new SemisupException(parse.GetValue(count) is null ? $"--split labeled: {(labelCount == Split.AllLabels ? "all the" : labelCount.ToString("N0"))} labeled images are more than one grid shows (1,000); pass --count." : $"--count {n}: give 1 to 1000 images.");
            var store = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataDir)));
            var dir = await ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel));
            var files = DatasetFiles.Read(dir, ds);
            var (images, labelFile) = which == "test" ? (files.TestImages, files.TestLabels) : (files.TrainImages, files.TrainLabels);
            // The labeled subset as a run with these --labels, --seed and --scheme trains on it, class by class.
            var indices = which == "labeled"
                ? Split.Create(ds.Name, labelFile.Data, labelCount, parse.GetValue(seed) ?? 1, schemeName).Labeled.OrderBy(i => labelFile.Data[i]).ToArray()
                : Enumerable.Range(0, labelFile.Data.Length).ToArray();
            indices = indices[..Math.Min(n, indices.Length)];
            int h = images.Shape[1], w = images.Shape[2];
            var pixels = indices.SelectMany(i => new ArraySegment<byte>(images.Data, i * h * w, h * w)).Select(b => b / 255f).ToArray();
            var captions = indices.Select(i => ClassNames.Of(ds)[labelFile.Data[i]]).ToArray();
            int perClass = labelCount / 10; // a row per class when the rows stay short (-1 labels = all: rows of 10)
            DigitGrid.Save(parse.GetValue(output)!, pixels, h, w, captions, columns: which == "labeled" && perClass is > 0 and <= 20 ? perClass : 10);
            Console.WriteLine($"wrote {parse.GetValue(output)} ({indices.Length} {which} images of {ds.Name})");
            return 0;
        });

        return new Command("data", "Fetch, verify and look at datasets.") { fetch, verify, show };
    }
}
