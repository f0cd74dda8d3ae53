using Semisup.Data;
using Semisup.Models;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>What evaluate prints: each checkpoint's score, the ensemble's, and its most frequent mistakes; with
/// test-time shifts, each score again with the probabilities averaged over the image and its four one-pixel shifts.</summary>
public sealed record ScoreReport(string Split, IReadOnlyList<(string Path, Recipe Recipe, int Epoch, Evaluation Evaluation, Evaluation? Shifted)> Members,
    Evaluation? Ensemble, Evaluation? ShiftedEnsemble, IReadOnlyList<(string True, string Predicted, int Count)> Mistakes);

/// <summary>What evaluate does: scores checkpoints (and their ensemble) on the test set or on the validation images
/// they were selected on.</summary>
public static class Scoring
{
    public static readonly string[] Splits = ["validation", "test"];

    /// <param name="raw">Score without the checkpoints' temperatures.</param>
    public static async Task<ScoreReport> EvaluateAsync(IReadOnlyList<string> checkpoints, string split, LocateData locate, bool shifts = false, Action<string>? warn = null, bool raw = false)
    {
        if (!Splits.Contains(split)) throw new SemisupException($"--split {split}: give validation or test.");
        using var ensemble = new Ensemble(checkpoints, warn, raw);
        var (ds, files) = await locate.ReadAsync(ensemble.Dataset.Name);
        using var set = split == "test" ? TestSet(files, ds) : ValidationSet(files, ensemble);
        var labels = set.Labels.data<long>().ToArray();
        var evaluations = ensemble.Members.Select(m => Evaluator.Evaluate(m.Model, set, m.Header.Recipe.Run.EvalBatch)).ToList();
        var averaged = evaluations.Count > 1 ? Evaluator.Ensemble(evaluations, labels) : null;
        var shifted = shifts ? ensemble.Members.Select(m => Evaluator.Evaluate(m.Model, set, m.Header.Recipe.Run.EvalBatch, shifted: true)).ToList() : null;
        var shiftedEnsemble = shifted is { Count: > 1 } ? Evaluator.Ensemble(shifted, labels) : null;
        var classes = ensemble.Classes;
        var counts = Confusion.Count(labels, (averaged ?? evaluations[0]).Predictions, classes.Count);
        var mistakes = Confusion.Mistakes(counts).Take(5).Select(m => (classes[m.True], classes[m.Predicted], m.Count)).ToList();
        return new(split, [.. ensemble.Members.Select((m, i) => (m.Path, m.Header.Recipe, m.Header.State.Epoch, evaluations[i], shifted?[i]))], averaged, shiftedEnsemble, mistakes);
    }

    public static ImageSet TestSet(DatasetFiles files, DatasetInfo ds) => ImageSet.From(files.TestImages, files.TestLabels, $"{ds.Name} test");

    /// <summary>The validation images the checkpoints were selected on. The split is a pure function of (dataset,
    /// labels, seed, scheme), so each checkpoint's recipe recreates it; an ensemble must share it, or one member's
    /// validation images would be another's training images.</summary>
    static ImageSet ValidationSet(DatasetFiles files, Ensemble ensemble)
    {
        int[] Validation(Recipe r) => Split.Create(ensemble.Dataset.Name, files.TrainLabels.Data, r.Data.Labels, r.Data.Seed, r.Data.Split).Validation;
        var (first, _, header) = ensemble.Members[0];
        var validation = Validation(header.Recipe);
        if (ensemble.Members.Skip(1).FirstOrDefault(m => !Validation(m.Header.Recipe).SequenceEqual(validation)) is { Path: not null } other)
            throw new SemisupException($"--split validation: {other.Path} and {first} were trained on different splits, so one's validation images are the other's training images. Evaluate the ensemble on test, or ensemble runs that share a split (the same seed, or \"split\": \"lab\", which is the same for every seed).");
        using var train = ImageSet.From(files.TrainImages, files.TrainLabels, $"{ensemble.Dataset.Name} train");
        return train.Subset(validation);
    }
}
