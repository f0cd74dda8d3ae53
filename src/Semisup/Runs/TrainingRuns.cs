using Semisup.Data;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>A run to train: its recipe, its directory, and whether it continues the run recorded there.</summary>
public sealed record TrainPlan(Recipe Recipe, string RunDir, bool Resuming);

/// <summary>How a training command ended: interrupted (resumable), or finished with the test set measured once.</summary>
public sealed record TrainOutcome(Recipe Recipe, string RunDir, TrainingState State, bool Interrupted, TestResult? Test);

/// <summary>What the train command does, with its policy: which recipe a new or resumed run trains, where, on which
/// split; then training and the one test measurement.</summary>
public static class TrainingRuns
{
    static readonly string[] ResumeMayChange = Trainer.ResumeMayChange;

    /// <summary>The recipe a new run trains when none is given.</summary>
    public const string DefaultRecipe = "gamma";

    /// <summary>The recipe a new run on a folder of images trains when none is given.</summary>
    public const string DefaultFolderRecipe = "images-fast";

    /// <summary>The train command's rule: a new run of <paramref name="recipe"/> (by default <see cref="DefaultRecipe"/>)
    /// into <paramref name="outDir"/> (by default <see cref="RunDirectory.NewPath"/>), or, with <paramref name="resume"/>,
    /// the run recorded there, continued as it was recorded.</summary>
    /// <param name="folder">A folder of images (or a CSV) to train on instead of the recipe's dataset: every labeled
    /// image is used unless <paramref name="sets"/> sets data.labels.</param>
    public static TrainPlan Plan(string? recipe, string? outDir, string? resume, IReadOnlyList<string> sets, Action<string> note, string? folder = null)
    {
        if (resume == null)
        {
            if (folder != null)
                sets = [$"data.folder={System.Text.Json.JsonSerializer.Serialize(Path.GetFullPath(folder))}", $"data.labels={Split.AllLabels}", .. sets];
            var r = FolderData.Resolve(Recipe.Load(recipe ?? (folder != null ? DefaultFolderRecipe : DefaultRecipe), sets: sets));
            return new(r, outDir ?? RunDirectory.NewPath(r.Name), Resuming: false);
        }
        if (recipe != null || outDir != null || folder != null)
            throw new SemisupException("--resume continues the run in its directory with the recipe and data it recorded; leave out --recipe, --out and --data.");
        return new(ForResume(resume, sets, note), resume, Resuming: true);
    }

    /// <summary>The recipe a resumed run continues with: the one it recorded, with only <see cref="ResumeMayChange"/>
    /// set; recorded again when they change it. <paramref name="note"/> hears what changes.</summary>
    public static Recipe ForResume(string runDir, IReadOnlyList<string> sets, Action<string> note)
    {
        var dir = new RunDirectory(runDir);
        var recorded = dir.ReadRecipe();
        // The recipe is recorded again, if it changed, once the run holds the directory (TrainingRuns.TrainAsync).
        if (sets.FirstOrDefault(s => !ResumeMayChange.Contains(s.Split('=')[0].Trim())) is { } other)
            throw new SemisupException($"--resume continues a run as it was recorded; only --epochs (to extend it) and --threads may change, not {other.Split('=')[0]}.");
        var continued = RecipeFile.Parse(recorded.ToJson(), dir.RecipePath, sets).Validate();
        int done = dir.SavedEpoch;
        if (continued.Run.Epochs < done)
            throw new SemisupException($"--epochs {continued.Run.Epochs}: the run has trained {done} epochs already; a run is extended, never shortened.");
        if (continued.Run.Threads != recorded.Run.Threads)
            note($"threads {recorded.Run.Threads} -> {continued.Run.Threads}: from here the run is no longer bit-identical to one at {recorded.Run.Threads} thread(s) throughout.");
        return continued;
    }

    /// <summary>Trains a new run (into a directory it creates) or resumes one, to its end or an interruption; a
    /// finished run's best-on-validation checkpoint then scores the test set once (test.json).</summary>
    /// <param name="observe">Runs training with an observer (the CLI's progress bar).</param>
    /// <param name="images">How a folder's images load (its shape comes from the recipe).</param>
    public static async Task<TrainOutcome> TrainAsync(Recipe r, string runDir, bool resuming, LocateData locate,
        Func<Func<ITrainingObserver, TrainResult>, TrainResult> observe, Action<string> note, CancellationToken cancel, ImageLoadOptions? images = null)
    {
        images ??= new();
        r.Validate();
        var dir = new RunDirectory(runDir);
        if (resuming)
        {
            if (!Directory.Exists(runDir)) throw new SemisupException($"{runDir} is not a run directory.");
            using var held = dir.Lock();
            // Checked before recipe.json is rewritten, so an edited recipe.json or a foreign last.ckpt changes nothing.
            if (File.Exists(dir.LastPath)) Trainer.RefuseOtherRecipe(dir.LastPath, r, RunDirectory.Recipe);
            if (dir.ReadRecipe().ToJson() != r.ToJson()) dir.WriteRecipe(r);
            // A run that stopped before its first checkpoint has nothing to continue: it starts again, on its recorded recipe.
            if (!dir.CanResume)
            {
                note($"{runDir} holds no saved epoch; starting the run again.");
                dir.RefuseUsed();
                return await RunAsync(r, dir, resuming: false, locate, images, observe, note, cancel);
            }
            return await RunAsync(r, dir, resuming, locate, images, observe, note, cancel);
        }
        // Made before the data is located (perhaps fetched), so an --out that cannot be made fails at once; a start
        // that fails before the run has written anything leaves no empty directory behind.
        bool made = !Directory.Exists(runDir);
        try { Directory.CreateDirectory(runDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SemisupException($"Cannot create the run directory {runDir} ({e.Message}); give --out a directory you can write to.", e);
        }
        try
        {
            using var held = dir.Lock();
            dir.RefuseUsed();
            return await RunAsync(r, dir, resuming, locate, images, observe, note, cancel);
        }
        catch
        {
            // Nothing but the lock's own files: the run never started.
            if (made && Directory.EnumerateFileSystemEntries(runDir).All(f => System.IO.Path.GetFileName(f).StartsWith(".lock", StringComparison.Ordinal)))
                Directory.Delete(runDir, recursive: true);
            throw;
        }
    }

    static async Task<TrainOutcome> RunAsync(Recipe r, RunDirectory dir, bool resuming, LocateData locate, ImageLoadOptions images,
        Func<Func<ITrainingObserver, TrainResult>, TrainResult> observe, Action<string> note, CancellationToken cancel)
    {
        if (Threads.Warning(r.Run.Threads) is { } warning) note(warning);
        // Passed on, not kept: the files' bytes must not outlive Load in this method's state.
        var (data, split) = r.Data.Folder != null ? FolderData.Load(r, dir, resuming, images, note, cancel)
            : Load(r, dir, resuming, await locate.ReadAsync(r.Data.Dataset));
        using var _ = data;
        var of = r.Data.Folder != null ? $" of {r.Data.ClassNames.Count} classes at {r.Input.Channels}×{r.Input.Height}×{r.Input.Width}" : "";
        note($"{(resuming ? "resuming" : "training")} {r.Name}: {r.MethodKind}, {split.Labeled.Length:N0} labeled / {split.Unlabeled.Length:N0} unlabeled / {data.Validation.Count:N0} validation{of}, {r.Run.Epochs} epochs -> {dir.Path}");
        var result = observe(o => Trainer.Run(r, dir, data, o, cancel, resuming));
        if (result.Interrupted) return new(r, dir.Path, result.State, true, null);
        // Once, after the last epoch: the temperature is the best checkpoint's, which is final only now.
        var calibration = Calibrating.CalibrateRun(dir, data.Validation);
        note(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"temperature {calibration.Temperature:F3} fitted on validation: ECE {100 * calibration.Validation.RawError:F2}% raw -> {100 * calibration.Validation.Error:F2}% calibrated"));
        return new(r, dir.Path, result.State, false, data.Test is { } test ? Test(dir.Path, test) : null);
    }

    /// <summary>The test set's answers of the run's best-on-validation checkpoint, measured once, written beside it;
    /// with its temperature, the test set's calibration joins the validation set's in calibration.json.</summary>
    public static TestResult Test(string runDir, ImageSet test)
    {
        var run = new RunDirectory(runDir);
        var (model, header) = Checkpoint.Load(run.BestPath);
        using var _ = model;
        var evaluation = Evaluator.Evaluate(model, test, header.Recipe.Run.EvalBatch);
        var result = new TestResult(RunDirectory.Best, header.State.Epoch, evaluation.Accuracy, evaluation.Loss, evaluation.Predictions);
        run.WriteTest(result);
        if (evaluation is { Raw: { } raw, Temperature: { } t } && run.ReadCalibration() is { } calibration && calibration.Epoch == header.State.Epoch && calibration.Temperature == t)
        {
            var labels = test.Labels.data<long>().ToArray();
            run.WriteCalibration(calibration with { Test = Calibration.Check(raw.Probabilities, evaluation.Probabilities, model.Classes, labels, raw.Loss, evaluation.Loss) });
        }
        return result;
    }

    /// <summary>The run's sets, from the dataset's files, by the run's split (made and saved for a new run).</summary>
    static (RunData Data, Split Split) Load(Recipe r, RunDirectory dir, bool resuming, (DatasetInfo Dataset, DatasetFiles Files) located)
    {
        var (ds, files) = located;
        located = default;
        var split = resuming ? dir.ReadSplit(files.TrainLabels.Count) : Split.Create(ds.Name, files.TrainLabels.Data, r.Data.Labels, r.Data.Seed, r.Data.Split);
        if (!resuming)
        {
            dir.WriteRecipe(r);
            dir.WriteSplit(split);
        }
        var data = RunData.From(files, split, ds.Name);
        // The files' bytes (two arrays of 47 MB for MNIST's training images) are garbage once the tensors hold the
        // images. Left to itself the runtime kept their memory committed for hundreds of epochs and then gave it back
        // at once, a 90 MB step down in the RSS (docs/performance.md); an aggressive collection gives it back now.
        // The reference is cleared first because unoptimised (tier-0) code keeps a local alive to its method's end.
        files = null;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (data, split);
    }
}
