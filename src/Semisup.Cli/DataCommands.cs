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

    /// <summary>Finds (fetching if need be, with a progress bar) a dataset in --data-dir, $SEMISUP_DATA or the cache.</summary>
    public static LocateData Locator(ParseResult parse, CancellationToken cancel)
    {
        var store = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataDir)));
        return ds => ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel));
    }

    public static Command Create() => new("data", "Fetch, verify and look at datasets; check, export and make folders of images.")
        { Fetch(), Verify(), Show(), ImageDataCommands.Check(), ImageDataCommands.Export(), ImageDataCommands.Synth() };

    static Command Fetch()
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
        return fetch;
    }

    static Command Verify()
    {
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
        return verify;
    }

    static Command Show()
    {
        var output = new Option<string>("--output", "-o") { Description = "PNG file to write.", DefaultValueFactory = _ => "digits.png" };
        var count = new Option<int?>("--count", "-n") { Description = "How many images (from the start of the split): 50 by default, every labeled image with --split labeled." };
        var split = new Option<string>("--split") { Description = "train, test, or labeled: a run's labeled subset, by class (the split is a function of --labels, --seed and --scheme).", DefaultValueFactory = _ => "train" };
        var labels = new Option<int?>("--labels") { Description = "With --split labeled: the run's label count (default 100)." };
        var seed = new Option<ulong?>("--seed") { Description = "With --split labeled: the run's seed (default 1)." };
        var scheme = new Option<string?>("--scheme") { Description = "With --split labeled: the run's split scheme, random (default) or lab (the lab's images, in file order)." };
        var show = new Command("show", "Write a PNG grid of images with their labels.") { Dataset, DataDir, output, count, split, labels, seed, scheme };
        show.SetAction(async (parse, cancel) =>
        {
            var grid = DatasetGrid.Plan(parse.GetValue(split)!, parse.GetValue(count), parse.GetValue(labels), parse.GetValue(seed), parse.GetValue(scheme));
            var (ds, files) = await Locator(parse, cancel).ReadAsync(parse.GetValue(Dataset)!);
            int shown = grid.Write(files, ds, parse.GetValue(output)!);
            Console.WriteLine($"wrote {parse.GetValue(output)} ({shown} {grid.Split} images of {ds.Name})");
            return 0;
        });
        return show;
    }
}
