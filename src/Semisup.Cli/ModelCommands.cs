using System.CommandLine;
using System.Globalization;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Cli;

static class ModelCommands
{
    static readonly Option<string> CheckpointPath = new("--checkpoint", "-c") { Description = "A checkpoint file (best.ckpt or last.ckpt of a run, or one under models/).", Required = true };

    public static Command Evaluate()
    {
        var checkpoints = new Option<string[]>("--checkpoint", "-c")
        {
            Description = "A checkpoint file (best.ckpt or last.ckpt of a run, or one under models/); give it more than once to evaluate the ensemble of their averaged probabilities too.",
            Required = true,
        };
        var split = new Option<string>("--split") { Description = "validation or test.", DefaultValueFactory = _ => "test" };
        var cmd = new Command("evaluate", "Print a checkpoint's (or an ensemble's) accuracy and loss on the validation or test set.") { checkpoints, split, DataCommands.DataDir };
        cmd.SetAction(async (parse, cancel) =>
        {
            var which = parse.GetValue(split);
            if (which is not ("validation" or "test")) throw new SemisupException($"--split {which}: give validation or test.");
            var paths = parse.GetValue(checkpoints)!;
            var members = new List<(string Path, Models.Classifier Model, CheckpointHeader Header)>();
            try
            {
                foreach (var path in paths)
                {
                    var (model, header) = Checkpoint.Load(path);
                    members.Add((path, model, header));
                }
                var r = members[0].Header.Recipe;
                if (members.FirstOrDefault(m => m.Header.Recipe.Dataset != r.Dataset) is { Path: not null } other)
                    throw new SemisupException($"{other.Path} was trained on {other.Header.Recipe.Dataset}, {members[0].Path} on {r.Dataset}: an ensemble needs one dataset.");
                var ds = Datasets.Get(r.Dataset);
                var store = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataCommands.DataDir)));
                var files = DatasetFiles.Read(await ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel)), ds);
                using var set = which == "test" ? ImageSet.From(files.TestImages, files.TestLabels, $"{ds.Name} test") : ValidationSet(files, ds, members);
                var labels = set.Labels.data<long>().ToArray();
                var evaluations = members.Select(m => Evaluator.Evaluate(m.Model, set, m.Header.Recipe.EvalBatch)).ToList();
                foreach (var (m, e) in members.Zip(evaluations))
                    Console.WriteLine($"{m.Path}: {which} {Describe(e)}  [{m.Header.Recipe.Name}, epoch {m.Header.State.Epoch}]");
                var shown = evaluations[0];
                if (members.Count > 1)
                {
                    shown = Evaluator.Ensemble(evaluations, labels);
                    Console.WriteLine($"ensemble of {members.Count} (probabilities averaged): {which} {Describe(shown)}");
                }
                var classes = ClassNames.Of(ds);
                var mistakes = ConfusionMatrix.Mistakes(ConfusionMatrix.Count(labels, shown.Predictions, classes.Count)).Take(5);
                Console.WriteLine($"most frequent mistakes (true as predicted): {string.Join(", ", mistakes.Select(m => $"{classes[m.True]} as {classes[m.Predicted]}: {m.Count}"))}");
                return 0;
            }
            finally
            {
                foreach (var m in members) m.Model.Dispose();
            }
        });
        return cmd;
    }

    static string Describe(Evaluation e) => string.Create(CultureInfo.InvariantCulture,
        $"accuracy {100 * e.Accuracy:F2}% ({Math.Round((1 - e.Accuracy) * e.Count)} of {e.Count} wrong), loss {e.Loss:F4}");

    /// <summary>The validation images the checkpoints were selected on. The split is a pure function of (dataset,
    /// labels, seed, scheme), so each checkpoint's recipe recreates it; an ensemble must share it, or one member's
    /// validation images would be another's training images.</summary>
    static ImageSet ValidationSet(DatasetFiles files, DatasetInfo ds, IReadOnlyList<(string Path, Models.Classifier Model, CheckpointHeader Header)> members)
    {
        int[] Validation(Recipe r) => Split.Create(ds.Name, files.TrainLabels.Data, r.Labels, r.Seed, r.Split).Validation;
        var validation = Validation(members[0].Header.Recipe);
        if (members.Skip(1).FirstOrDefault(m => !Validation(m.Header.Recipe).SequenceEqual(validation)) is { Path: not null } other)
            throw new SemisupException($"--split validation: {other.Path} and {members[0].Path} were trained on different splits, so one's validation images are the other's training images. Evaluate the ensemble on test, or ensemble runs that share a split (the same seed, or \"split\": \"lab\", which is the same for every seed).");
        using var train = ImageSet.From(files.TrainImages, files.TrainLabels, $"{ds.Name} train");
        return train.Subset(validation);
    }

    public static Command Predict()
    {
        var input = new Option<string>("--input", "-i") { Description = "A PNG file, a directory of PNGs, or an IDX image file.", Required = true };
        var limit = new Option<int>("--limit") { Description = "At most this many images from an IDX file.", DefaultValueFactory = _ => 20 };
        var cmd = new Command("predict", "Print the predicted class and probabilities for images.") { CheckpointPath, input, limit };
        cmd.SetAction(parse =>
        {
            var (model, header) = Checkpoint.Load(parse.GetValue(CheckpointPath)!);
            using var _ = model;
            var path = parse.GetValue(input)!;
            var (names, pixels) = ReadInputs(path, parse.GetValue(limit));
            using var scope = NewDisposeScope();
            model.eval();
            using var noGrad = no_grad();
            var probs = nn.functional.softmax(model.call(tensor(pixels).reshape(names.Count, 1, 28, 28)), 1).data<float>().ToArray();
            var classes = ClassNames.Of(Datasets.Get(header.Recipe.Dataset));
            for (int i = 0; i < names.Count; i++)
            {
                var p = probs.AsSpan(i * classes.Count, classes.Count).ToArray();
                int best = Array.IndexOf(p, p.Max());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{names[i]}: {classes[best]}  ({100 * p[best]:F1}%)  [{string.Join(" ", p.Select((v, k) => $"{classes[k]}:{v:F3}"))}]"));
            }
            return 0;
        });
        return cmd;
    }

    static (List<string> Names, float[] Pixels) ReadInputs(string path, int limit)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)).Order().ToList();
            if (files.Count == 0) throw new SemisupException($"{path}: no .png files in this directory.");
            return (files, files.SelectMany(DigitImage.Load).ToArray());
        }
        if (!File.Exists(path)) throw new SemisupException($"{path}: no such file or directory.");
        using (var head = File.OpenRead(path))
        {
            var magic = new byte[4];
            head.ReadExactly(magic);
            bool png = magic is [0x89, (byte)'P', (byte)'N', (byte)'G'];
            if (!png && (magic[0] == 0 && magic[1] == 0 || magic[0] == 0x1f && magic[1] == 0x8b))
            {
                var idx = Idx.Read(path);
                if (idx.Shape is not [_, 28, 28]) throw new SemisupException($"{path}: expected N×28×28 images, got {string.Join("x", idx.Shape)}.");
                int n = Math.Min(idx.Count, Math.Max(1, limit));
                return (Enumerable.Range(0, n).Select(i => $"{Path.GetFileName(path)}[{i}]").ToList(),
                    idx.Data.Take(n * 784).Select(b => b / 255f).ToArray());
            }
        }
        return ([path], DigitImage.Load(path));
    }
}
