using Semisup.Data;

namespace Semisup.Training;

/// <summary>One finished run as compare shows it: its recipe, where validation peaked, its test accuracy (of the
/// best-on-validation checkpoint, as its own report measured it) and its curve.</summary>
public sealed record RunSummary(string Dir, Recipe Recipe, TrainingState Best, double TestAccuracy, IReadOnlyList<EpochMetrics> Metrics);

/// <summary>What compare does besides training: checks the recipes it is to train, then reads every run's results.</summary>
public static class Comparison
{
    /// <summary>Loads every recipe before training any, so a typo fails in a second, not after the first run; a
    /// directory holding a run of other settings is refused rather than reported as this one.</summary>
    public static IReadOnlyList<Recipe> Plan(IEnumerable<string> recipes, string root, IReadOnlyList<string> sets)
    {
        var loaded = recipes.Select(name => Recipe.Load(name, sets: sets).Validate()).ToList();
        foreach (var r in loaded)
        {
            var recorded = new RunDirectory(Path.Combine(root, r.Name)).RecipePath;
            if (File.Exists(recorded) && Recipe.Read(recorded).ToJson() != r.ToJson())
                throw new SemisupException($"{Path.Combine(root, r.Name)} holds a run of {r.Name} with other settings than asked (see its {RunDirectory.Recipe}); give another --out.");
        }
        return loaded;
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
                if (!File.Exists(dir.BestPath)) throw new SemisupException($"{path}: no {RunDirectory.Best}; is it a finished run directory?");
                var header = Checkpoint.ReadHeader(dir.BestPath);
                double accuracy;
                if (dir.ReadTest() is { } test) accuracy = test.Accuracy;
                else
                {
                    var ds = Datasets.Get(header.Recipe.Data.Dataset);
                    if (!testSets.TryGetValue(ds.Name, out var set))
                        testSets[ds.Name] = set = Scoring.TestSet(DatasetFiles.Read(await locate(ds), ds), ds);
                    var (model, _) = Checkpoint.Load(dir.BestPath);
                    using (model) accuracy = Evaluator.Score(model, set, header.Recipe.Run.EvalBatch).Accuracy;
                }
                rows.Add(new(path, header.Recipe, header.State, accuracy, dir.ReadMetrics()));
            }
        }
        finally { foreach (var t in testSets.Values) t.Dispose(); }
        return rows;
    }
}
