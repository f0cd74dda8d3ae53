using System.Text.Json;
using Semisup.Data;

namespace Semisup.Training;

/// <summary>One epoch's line of metrics.jsonl.</summary>
public sealed record EpochMetrics(
    int Epoch, long Step, double SupervisedLoss, double UnsupervisedLoss, double TrainLoss,
    double ValidationLoss, double ValidationAccuracy, double LearningRate, double WallSeconds, double StepsPerSecond, double RssMegabytes = 0,
    double ManagedMegabytes = 0, double CommittedMegabytes = 0);

/// <summary>The test set's answers of a run's best-on-validation checkpoint, measured once when training ends: what the
/// report and compare read, so neither loads a model.</summary>
public sealed record TestResult(string Checkpoint, int Epoch, double Accuracy, double Loss, long[] Predictions);

/// <summary>The format of a run directory, in one place: its files' names, and reading and writing them.</summary>
public sealed class RunDirectory(string path)
{
    public const string Recipe = "recipe.json", Split = "split.json", Metrics = "metrics.jsonl", Best = "best.ckpt", Last = "last.ckpt",
        Test = "test.json", Summary = "summary.md", Submission = "submission.csv", TensorBoard = "tensorboard";

    public string Path { get; } = path;

    public string this[string file] => System.IO.Path.Combine(Path, file);

    public string RecipePath => this[Recipe];
    public string BestPath => this[Best];
    public string LastPath => this[Last];

    public Training.Recipe ReadRecipe()
    {
        if (!File.Exists(RecipePath)) throw new SemisupException($"{Path} is not a run directory (no {Recipe}).");
        return Training.Recipe.Read(RecipePath);
    }

    public void WriteRecipe(Training.Recipe recipe) => WriteAtomically(RecipePath, recipe.ToJson());

    public Data.Split ReadSplit(int trainCount) => Data.Split.Load(this[Split], trainCount);

    public void WriteSplit(Data.Split split) => split.Save(this[Split]);

    /// <summary>The last epoch the last checkpoint holds on disk; 0 before the first is saved.</summary>
    public int SavedEpoch => File.Exists(LastPath) ? Checkpoint.ReadHeader(LastPath).State.Epoch : 0;

    /// <summary>Whether training ended and measured the test set.</summary>
    public bool IsFinished => File.Exists(this[Test]);

    /// <summary>A new run would append its metrics to another run's and, after a libtorch failure, go back to that run's
    /// checkpoint; so a directory that holds a run is refused.</summary>
    public void RefuseUsed()
    {
        var used = new[] { Last, Metrics }.FirstOrDefault(f => File.Exists(this[f]));
        if (used != null)
            throw new SemisupException($"{Path} already holds a run ({used}). Continue it with `semisup train --resume {Path}`, or train into another directory.");
    }

    /// <summary>What a stopped run leaves to continue from, as one sentence for its message.</summary>
    public string WhereToContinue(int savedEpoch) => savedEpoch > 0
        ? $"{LastPath} holds epoch {savedEpoch}; continue with `semisup train --resume {Path}`."
        : "No epoch had been saved; start the run again.";

    public IReadOnlyList<EpochMetrics> ReadMetrics()
    {
        if (!File.Exists(this[Metrics])) return [];
        return File.ReadLines(this[Metrics]).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<EpochMetrics>(l, RecipeFile.Json)!).ToList();
    }

    public void AppendMetrics(EpochMetrics metrics, int savedEpoch)
    {
        try { File.AppendAllText(this[Metrics], JsonSerializer.Serialize(metrics, RecipeFile.Json).ReplaceLineEndings("") + "\n"); }
        catch (IOException e)
        {
            throw new SemisupException($"Could not write {Metrics} ({e.Message}); training stopped. {WhereToContinue(savedEpoch)}", e);
        }
    }

    /// <summary>Drops lines written after the checkpoint a run resumes from, and a line cut short by a full disk;
    /// written to a new file and renamed, so a kill meanwhile leaves the old one whole.</summary>
    public void TrimMetrics(int epoch)
    {
        if (!File.Exists(this[Metrics])) return;
        static EpochMetrics? Parse(string line)
        {
            try { return JsonSerializer.Deserialize<EpochMetrics>(line, RecipeFile.Json); }
            catch (JsonException) { return null; }
        }
        var keep = File.ReadLines(this[Metrics]).Where(l => Parse(l) is { } m && m.Epoch <= epoch).ToList();
        WriteAtomically(this[Metrics], string.Concat(keep.Select(l => l + "\n")));
    }

    public TestResult? ReadTest() => File.Exists(this[Test]) ? JsonSerializer.Deserialize<TestResult>(File.ReadAllText(this[Test]), RecipeFile.Json) : null;

    public void WriteTest(TestResult result) => WriteAtomically(this[Test], JsonSerializer.Serialize(result, Compact));

    static readonly JsonSerializerOptions Compact = new(RecipeFile.Json) { WriteIndented = false };

    static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
