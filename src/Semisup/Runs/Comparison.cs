using Semisup.Data;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>One finished run as compare shows it: its recipe, where validation peaked, its test accuracy (of the
/// best-on-validation checkpoint, as its own report measured it; null for a folder run without test images) and its curve.</summary>
public sealed record RunSummary(string Dir, Recipe Recipe, int BestEpoch, double BestValidationAccuracy, double? TestAccuracy, IReadOnlyList<EpochMetrics> Metrics);

/// <summary>What compare does besides training: checks the recipes it is to train, then reads every run's results.</summary>
public static class Comparison
{
    /// <summary>Loads every recipe before training any, so a typo fails in a second, not after the first run; a
    /// directory holding a run of other settings is refused rather than reported as this one.</summary>
    public static IReadOnlyList<Recipe> Plan(IEnumerable<string> recipes, string root, IReadOnlyList<string> sets)
    {
        // A recipe on a folder settles its classes and shape here, as train does, so recipe.json records them.
        var loaded = recipes.Select(name => FolderData.Resolve(Recipe.Load(name, sets: sets)).Validate()).ToList();
        foreach (var r in loaded)
        {
            var recorded = new RunDirectory(Path.Combine(root, r.Name)).RecipePath;
            if (File.Exists(recorded) && Recipe.Read(recorded).ToJson() != r.ToJson())
                throw new SemisupException($"{Path.Combine(root, r.Name)} holds a run of {r.Name} with other settings than asked (see its {RunDirectory.Recipe}); give another --out.");
        }
        return loaded;
    }

    /// <summary>Trains each planned recipe into root/NAME: a finished run is reused, one holding a saved epoch resumed,
    /// a new one started. <paramref name="train"/> trains one (recipe, directory, resuming) and says whether it ended,
    /// rather than being interrupted. Returns the run directories, or null once a run is interrupted.</summary>
    public static async Task<IReadOnlyList<string>?> TrainAsync(IReadOnlyList<Recipe> plan, string root, Func<Recipe, string, bool, Task<bool>> train, Action<string> note)
    {
        var dirs = new List<string>();
        foreach (var r in plan)
        {
            var dir = new RunDirectory(Path.Combine(root, r.Name));
            if (dir.IsFinished) note($"{dir.Path}: finished earlier, reused");
            else if (!await train(r, dir.Path, dir.CanResume)) return null;
            dirs.Add(dir.Path);
        }
        return dirs;
    }

    /// <summary>Each run's results. A run from before training recorded its test answers is scored now, with its best
    /// checkpoint and the same data its report used.</summary>
    public static async Task<IReadOnlyList<RunSummary>> ReadAsync(IEnumerable<string> dirs, LocateData locate)
    {
        var rows = new List<RunSummary>();
        var testSets = new Dictionary<string, ImageSet>();
        try
        {
            foreach (var path in dirs)
            {
                var dir = new RunDirectory(path);
                var metrics = dir.ReadMetrics();
                var test = dir.ReadTest();
                // A folder run records its test answers when it has test images; without test.json it has none to score.
                bool folder = File.Exists(dir.RecipePath) && dir.ReadRecipe().Data.Folder != null;
                if ((test != null || folder) && metrics.Count > 0)
                {
                    // A finished run's files say it all; its checkpoints need not be kept.
                    var best = metrics.MaxBy(m => m.ValidationAccuracy)!;
                    rows.Add(new(path, dir.ReadRecipe(), best.Epoch, best.ValidationAccuracy, test?.Accuracy, metrics));
                    continue;
                }
                if (folder) throw new SemisupException($"{path}: no {RunDirectory.Metrics}; the run has not trained an epoch yet.");
                if (!File.Exists(dir.BestPath)) throw new SemisupException($"{path}: no {RunDirectory.Test} and no {RunDirectory.Best}; is it a finished run directory?");
                var header = Checkpoint.ReadHeader(dir.BestPath);
                var dataset = Datasets.Get(header.Recipe.Data.Dataset).Name;
                if (!testSets.TryGetValue(dataset, out var set))
                {
                    var (ds, files) = await locate.ReadAsync(dataset);
                    testSets[dataset] = set = Scoring.TestSet(files, ds);
                }
                var (model, _) = Checkpoint.Load(dir.BestPath);
                double accuracy;
                using (model) accuracy = Evaluator.Score(model, set, header.Recipe.Run.EvalBatch).Accuracy;
                rows.Add(new(path, header.Recipe, header.State.BestEpoch, header.State.BestValidationAccuracy, accuracy, metrics));
            }
        }
        finally { foreach (var t in testSets.Values) t.Dispose(); }
        return rows;
    }
}
