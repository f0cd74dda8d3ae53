using System.Text.Json;
using Semisup.Data;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>The test set's answers of a run's best-on-validation checkpoint, measured once when training ends: what the
/// report and compare read, so neither loads a model.</summary>
public sealed record TestResult(string Checkpoint, int Epoch, double Accuracy, double Loss, long[] Predictions);

/// <summary>The format of a run directory, in one place: its files' names, and reading and writing them.</summary>
public sealed class RunDirectory(string path) : IRunRecord
{
    public const string Recipe = "recipe.json", Split = "split.json", Metrics = "metrics.jsonl", Best = "best.ckpt", Last = "last.ckpt",
        Test = "test.json", Calibration = "calibration.json", Summary = "summary.md", Submission = "submission.csv", TensorBoard = "tensorboard";

    public string Path { get; } = path;

    /// <summary>A new run directory's default: runs/NAME-TIMESTAMP, beside the working directory.</summary>
    public static string NewPath(string name) => System.IO.Path.Combine("runs", $"{name}-{DateTime.Now:yyyyMMdd-HHmmss}");

    public string this[string file] => System.IO.Path.Combine(Path, file);

    public string RecipePath => this[Recipe];
    public string BestPath => this[Best];
    public string LastPath => this[Last];
    public string TensorBoardPath => this[TensorBoard];

    public Recipes.Recipe ReadRecipe()
    {
        if (!File.Exists(RecipePath)) throw new SemisupException($"{Path} is not a run directory (no {Recipe}).");
        return Recipes.Recipe.Read(RecipePath);
    }

    public void WriteRecipe(Recipes.Recipe recipe) => WriteAtomically(RecipePath, recipe.ToJson());

    public Data.Split ReadSplit(int trainCount) => Data.Split.Load(this[Split], trainCount);

    public void WriteSplit(Data.Split split) => split.Save(this[Split]);

    /// <summary>The last epoch the last checkpoint holds on disk; 0 before the first is saved.</summary>
    public int SavedEpoch => File.Exists(LastPath) ? Checkpoint.ReadHeader(LastPath).State.Epoch : 0;

    /// <summary>Whether a run here holds a saved epoch to continue from: a run is resumed exactly when it does.</summary>
    public bool CanResume => File.Exists(LastPath);

    /// <summary>Whether training ended: it measured the test set, or, on a folder without test images, saved its last epoch.</summary>
    public bool IsFinished => File.Exists(this[Test])
        || File.Exists(RecipePath) && ReadRecipe() is { Data.Folder: { } folder } r && SavedEpoch >= r.Run.Epochs && !FolderData.HasTest(folder);

    /// <summary>A new run would append its metrics to another run's and, after a libtorch failure, go back to that run's
    /// checkpoint; so a directory that holds a saved epoch is refused. One that failed before its first checkpoint holds
    /// nothing to continue, and a new run starts afresh in it.</summary>
    public void RefuseUsed()
    {
        if (File.Exists(LastPath))
            throw new SemisupException($"{Path} already holds a run ({Last}). Continue it with `semisup train --resume {Path}`, or train into another directory.");
        if (Directory.Exists(Path)) foreach (var stale in new[] { Metrics, Test, Calibration, Best }) File.Delete(this[stale]);
    }

    /// <summary>Deletes what a save that was cut short (a kill, a full disk) left: the next save writes them anew.</summary>
    public void RemoveUnfinishedSaves()
    {
        if (!Directory.Exists(Path)) return;
        foreach (var temp in Directory.GetFiles(Path, "*.tmp")) File.Delete(temp);
    }

    /// <summary>Holds the directory for one writer until disposed; the operating system lets go of it when the process
    /// ends, however it ends, so a killed run leaves no stale lock.</summary>
    public IDisposable Lock()
    {
        Directory.CreateDirectory(Path);
        try
        {
            // FileShare.None is an exclusive flock on Linux and an exclusive share mode on Windows.
            var held = new FileStream(this[LockFile], FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(this[LockOwner], $"process {Environment.ProcessId}, since {DateTime.Now:yyyy-MM-dd HH:mm:ss}");
            return held;
        }
        catch (IOException)
        {
            string owner = File.Exists(this[LockOwner]) ? File.ReadAllText(this[LockOwner]).Trim() : "another process";
            throw new SemisupException($"{Path} is being trained by another semisup ({owner}); wait for it to end, or train into another directory.");
        }
    }

    const string LockFile = ".lock", LockOwner = ".lock-owner";

    /// <summary>What a stopped run leaves to continue from, as one sentence for its message.</summary>
    public string WhereToContinue(int savedEpoch) => savedEpoch > 0
        ? $"{LastPath} holds epoch {savedEpoch}; continue with `semisup train --resume {Path}`."
        : "No epoch had been saved; start the run again.";

    public IReadOnlyList<EpochMetrics> ReadMetrics()
    {
        if (!File.Exists(this[Metrics])) return [];
        SafeFiles.RequireRegular(this[Metrics], "the run's metrics file");
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

    public TestResult? ReadTest()
    {
        if (!File.Exists(this[Test])) return null;
        SafeFiles.RequireRegular(this[Test], "the run's test result");
        return JsonSerializer.Deserialize<TestResult>(File.ReadAllText(this[Test]), RecipeFile.Json);
    }

    public void WriteTest(TestResult result) => WriteAtomically(this[Test], JsonSerializer.Serialize(result, Compact));

    /// <summary>The temperature training fitted and how it calibrates; null for a run from before temperatures.</summary>
    public CalibrationResult? ReadCalibration()
    {
        if (!File.Exists(this[Calibration])) return null;
        SafeFiles.RequireRegular(this[Calibration], "the run's calibration");
        return JsonSerializer.Deserialize<CalibrationResult>(File.ReadAllText(this[Calibration]), RecipeFile.Json);
    }

    public void WriteCalibration(CalibrationResult result) => WriteAtomically(this[Calibration], JsonSerializer.Serialize(result, RecipeFile.Json));

    static readonly JsonSerializerOptions Compact = new(RecipeFile.Json) { WriteIndented = false };

    static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
