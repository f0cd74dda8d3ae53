using System.CommandLine;
using System.Runtime.InteropServices;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Training;
using Spectre.Console;

namespace Semisup.Cli;

static class TrainCommand
{
    public static Command Create()
    {
        var recipe = new Option<string>("--recipe", "-r") { Description = "Recipe name (recipes/NAME.json) or path.", DefaultValueFactory = _ => "gamma" };
        var overrides = new RecipeOverrides();
        var outDir = new Option<string?>("--out", "-o") { Description = "Run directory (default runs/RECIPE-TIMESTAMP)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this directory from its last checkpoint (with --epochs, extend it; with --threads, on another thread count)." };
        var cmd = new Command("train", "Train a model from a recipe; writes a run directory with metrics, checkpoints, plots and a report.")
            { recipe, outDir, resume, DataCommands.DataDir };
        overrides.AddTo(cmd);
        cmd.SetAction(async (parse, cancel) =>
        {
            string runDir;
            Recipe r;
            bool resuming = parse.GetValue(resume) is not null;
            if (resuming)
            {
                runDir = parse.GetValue(resume)!;
                if (parse.GetResult(recipe) is { Implicit: false } || parse.GetValue(outDir) is not null)
                    throw new SemisupException("--resume continues the run in its directory with the recipe it recorded; leave out --recipe and --out.");
                var recipePath = Path.Combine(runDir, Trainer.RecipeFile);
                if (!File.Exists(recipePath)) throw new SemisupException($"{runDir} is not a run directory (no {Trainer.RecipeFile}).");
                r = Recipe.Read(recipePath);
                if (overrides.ChangesTheRun(parse))
                    throw new SemisupException("--resume continues a run as it was recorded; only --epochs (to extend it) and --threads may change.");
                var continued = (r with { Epochs = parse.GetValue(overrides.Epochs) ?? r.Epochs, Threads = parse.GetValue(overrides.Threads) ?? r.Threads }).Validate();
                int done = Trainer.SavedEpoch(runDir);
                if (continued.Epochs < done)
                    throw new SemisupException($"--epochs {continued.Epochs}: the run has trained {done} epochs already; a run is extended, never shortened.");
                if (continued.Threads != r.Threads)
                    Console.WriteLine($"threads {r.Threads} -> {continued.Threads}: from here the run is no longer bit-identical to one at {r.Threads} thread(s) throughout.");
                if (continued.Epochs != r.Epochs || continued.Threads != r.Threads)
                {
                    r = continued;
                    File.WriteAllText(recipePath, r.ToJson());
                }
            }
            else
            {
                r = overrides.Apply(parse, Recipe.Load(parse.GetValue(recipe)!));
                runDir = parse.GetValue(outDir) ?? Path.Combine("runs", $"{r.Name}-{DateTime.Now:yyyyMMdd-HHmmss}");
            }
            return await TrainAsync(r, runDir, resuming, parse.GetValue(DataCommands.DataDir), cancel);
        });
        return cmd;
    }

    /// <summary>Trains (or resumes) one run directory to its end and writes its report; 130 if interrupted.</summary>
    public static async Task<int> TrainAsync(Recipe r, string runDir, bool resuming, string? dataDirOption, CancellationToken cancel)
    {
        r.Validate();
        if (resuming) return await RunAsync(r, runDir, resuming, dataDirOption, cancel);
        Trainer.RefuseUsed(runDir);
        // Made before the data is located (perhaps fetched), so an --out that cannot be made fails at once; a start
        // that fails before the run has written anything leaves no empty directory behind.
        bool made = !Directory.Exists(runDir);
        try { Directory.CreateDirectory(runDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SemisupException($"Cannot create the run directory {runDir} ({e.Message}); give --out a directory you can write to.", e);
        }
        try { return await RunAsync(r, runDir, resuming, dataDirOption, cancel); }
        catch
        {
            if (made && !Directory.EnumerateFileSystemEntries(runDir).Any()) Directory.Delete(runDir);
            throw;
        }
    }

    /// <summary>The run's sets, from the dataset's files, by the run's split (made and saved for a new run).</summary>
    static (RunData Data, Split Split) Load(Recipe r, string runDir, bool resuming, string dataDir, DatasetInfo ds)
    {
        var files = DatasetFiles.Read(dataDir, ds);
        var split = resuming ? Split.Load(runDir, files.TrainLabels.Count) : Split.Create(ds.Name, files.TrainLabels.Data, r.Labels, r.Seed, r.Split);
        if (!resuming)
        {
            File.WriteAllText(Path.Combine(runDir, Trainer.RecipeFile), r.ToJson());
            split.Save(runDir);
        }
        var data = RunData.From(files, split, ds.Name);
        // The files' bytes (two arrays of 47 MB for MNIST's training images) are garbage once the tensors hold the
        // images. Left to itself the runtime kept their memory committed for hundreds of epochs and then gave it back
        // at once, a 90 MB step down in the RSS (docs/RESULTS.md, Memory); an aggressive collection gives it back now.
        // The reference is cleared first because unoptimised (tier-0) code keeps a local alive to its method's end.
        files = null;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (data, split);
    }

    static async Task<int> RunAsync(Recipe r, string runDir, bool resuming, string? dataDirOption, CancellationToken cancel)
    {
        var ds = Datasets.Get(r.Dataset);
        var store = new DatasetStore(DataOptions.FromEnvironment(dataDirOption));
        var dataDir = await ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel));
        var (data, split) = Load(r, runDir, resuming, dataDir, ds);
        using var _ = data;
        Console.WriteLine($"{(resuming ? "resuming" : "training")} {r.Name}: {r.Method}, {split.Labeled.Length} labeled / {split.Unlabeled.Length} unlabeled / {split.Validation.Length} validation, {r.Epochs} epochs -> {runDir}");

        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        // Ctrl+C, and SIGTERM (kill, docker stop, a cancelled CI job), which would otherwise end the process at once:
        // both finish the step and exit with 130; the partial epoch is dropped, last.ckpt holds the last whole one.
        void Stop(PosixSignalContext signal) { signal.Cancel = true; interrupt.Cancel(); }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var result = TrainingProgress.Run(o => Trainer.Run(r, runDir, data, o, interrupt.Token, resuming));
        if (result.Interrupted)
        {
            Console.WriteLine($"interrupted. {Trainer.WhereToContinue(runDir, result.State.Epoch)}");
            return 130;
        }
        var report = RunReport.Write(runDir, data, ds);
        Console.WriteLine($"best validation accuracy {report.BestValidationAccuracy:P2} (epoch {report.BestEpoch}); test accuracy {report.TestAccuracy:P2}");
        Console.WriteLine($"report: {Path.Combine(runDir, RunReport.SummaryFile)}");
        return 0;
    }
}
