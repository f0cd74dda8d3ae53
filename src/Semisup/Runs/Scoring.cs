using Semisup.Data;
using Semisup.Models;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>Checkpoints loaded for evaluation or prediction; an ensemble's members must share a dataset (and so its
/// classes).</summary>
public sealed class Members : IDisposable
{
    public List<(string Path, Classifier Model, CheckpointHeader Header)> All { get; } = [];
    public DatasetInfo Dataset { get; }

    public Members(IReadOnlyList<string> paths)
    {
        try
        {
            foreach (var path in paths)
            {
                var (model, header) = Checkpoint.Load(path);
                All.Add((path, model, header));
            }
            var (first, _, firstHeader) = All[0];
            if (All.FirstOrDefault(m => m.Header.Recipe.Data.Dataset != firstHeader.Recipe.Data.Dataset) is { Path: not null } other)
                throw new SemisupException($"{other.Path} was trained on {other.Header.Recipe.Data.Dataset}, {first} on {firstHeader.Recipe.Data.Dataset}: an ensemble needs one dataset.");
            Dataset = Datasets.Get(firstHeader.Recipe.Data.Dataset);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var m in All) m.Model.Dispose();
    }
}

/// <summary>What evaluate prints: each checkpoint's score, the ensemble's, and its most frequent mistakes; with
/// test-time shifts, each score again with the probabilities averaged over the image and its four one-pixel shifts.</summary>
public sealed record ScoreReport(string Split, IReadOnlyList<(string Path, Recipe Recipe, int Epoch, Evaluation Evaluation, Evaluation? Shifted)> Members,
    Evaluation? Ensemble, Evaluation? ShiftedEnsemble, IReadOnlyList<(string True, string Predicted, int Count)> Mistakes);

/// <summary>What evaluate does: scores checkpoints (and their ensemble) on the test set or on the validation images
/// they were selected on.</summary>
public static class Scoring
{
    public static readonly string[] Splits = ["validation", "test"];

    public static async Task<ScoreReport> EvaluateAsync(IReadOnlyList<string> checkpoints, string split, LocateData locate, bool shifts = false)
    {
        if (!Splits.Contains(split)) throw new SemisupException($"--split {split}: give validation or test.");
        using var members = new Members(checkpoints);
        var ds = members.Dataset;
        var files = DatasetFiles.Read(await locate(ds), ds);
        using var set = split == "test" ? TestSet(files, ds) : ValidationSet(files, members);
        var labels = set.Labels.data<long>().ToArray();
        var evaluations = members.All.Select(m => Evaluator.Evaluate(m.Model, set, m.Header.Recipe.Run.EvalBatch)).ToList();
        var ensemble = evaluations.Count > 1 ? Evaluator.Ensemble(evaluations, labels) : null;
        var shifted = shifts ? members.All.Select(m => Evaluator.Evaluate(m.Model, set, m.Header.Recipe.Run.EvalBatch, shifted: true)).ToList() : null;
        var shiftedEnsemble = shifted is { Count: > 1 } ? Evaluator.Ensemble(shifted, labels) : null;
        var classes = ClassNames.Of(ds);
        var counts = Confusion.Count(labels, (ensemble ?? evaluations[0]).Predictions, classes.Count);
        var mistakes = Confusion.Mistakes(counts).Take(5).Select(m => (classes[m.True], classes[m.Predicted], m.Count)).ToList();
        return new(split, [.. members.All.Select((m, i) => (m.Path, m.Header.Recipe, m.Header.State.Epoch, evaluations[i], shifted?[i]))], ensemble, shiftedEnsemble, mistakes);
    }

    public static ImageSet TestSet(DatasetFiles files, DatasetInfo ds) => ImageSet.From(files.TestImages, files.TestLabels, $"{ds.Name} test");

    /// <summary>The validation images the checkpoints were selected on. The split is a pure function of (dataset,
    /// labels, seed, scheme), so each checkpoint's recipe recreates it; an ensemble must share it, or one member's
    /// validation images would be another's training images.</summary>
    static ImageSet ValidationSet(DatasetFiles files, Members members)
    {
        int[] Validation(Recipe r) => Split.Create(members.Dataset.Name, files.TrainLabels.Data, r.Data.Labels, r.Data.Seed, r.Data.Split).Validation;
        var (first, _, header) = members.All[0];
        var validation = Validation(header.Recipe);
        if (members.All.Skip(1).FirstOrDefault(m => !Validation(m.Header.Recipe).SequenceEqual(validation)) is { Path: not null } other)
            throw new SemisupException($"--split validation: {other.Path} and {first} were trained on different splits, so one's validation images are the other's training images. Evaluate the ensemble on test, or ensemble runs that share a split (the same seed, or \"split\": \"lab\", which is the same for every seed).");
        using var train = ImageSet.From(files.TrainImages, files.TrainLabels, $"{members.Dataset.Name} train");
        return train.Subset(validation);
    }
}
