using System.CommandLine;
using System.Globalization;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Cli;

static class ModelCommands
{
    static readonly Option<string[]> CheckpointPaths = new("--checkpoint", "-c")
    {
        Description = "A checkpoint file (best.ckpt or last.ckpt of a run, or one under models/); give it more than once for an ensemble (probabilities averaged).",
        Required = true,
    };

    /// <summary>The checkpoints given, loaded; an ensemble's members must share a dataset (and so its classes).</summary>
    sealed class Members : IDisposable
    {
        public List<(string Path, Models.Classifier Model, CheckpointHeader Header)> All { get; } = [];
        public DatasetInfo Dataset { get; }

        public Members(string[] paths)
        {
            try
            {
                foreach (var path in paths)
                {
                    var (model, header) = Checkpoint.Load(path);
                    All.Add((path, model, header));
                }
                var (first, _, firstHeader) = All[0];
                if (All.FirstOrDefault(m => m.Header.Recipe.Dataset != firstHeader.Recipe.Dataset) is { Path: not null } other)
                    throw new SemisupException($"{other.Path} was trained on {other.Header.Recipe.Dataset}, {first} on {firstHeader.Recipe.Dataset}: an ensemble needs one dataset.");
                Dataset = Datasets.Get(firstHeader.Recipe.Dataset);
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

    public static Command Evaluate()
    {
        var split = new Option<string>("--split") { Description = "validation or test.", DefaultValueFactory = _ => "test" };
        // Not required here: --onnx scores an exported model instead.
        var checkpoints = new Option<string[]>("--checkpoint", "-c") { Description = CheckpointPaths.Description };
        var cmd = new Command("evaluate", "Print a checkpoint's (or an ensemble's, or an exported ONNX model's) accuracy and loss on the validation or test set.") { checkpoints, split, DataCommands.DataDir, ExportCommand.Onnx };
        cmd.Validators.Add(ExportCommand.CheckpointsOrOnnx(checkpoints));
        cmd.SetAction(async (parse, cancel) =>
        {
            var which = parse.GetValue(split);
            if (which is not ("validation" or "test")) throw new SemisupException($"--split {which}: give validation or test.");
            if (parse.GetValue(ExportCommand.Onnx) is { } onnx) return await ExportCommand.EvaluateOnnxAsync(onnx, which, parse.GetValue(DataCommands.DataDir), cancel);
            using var members = new Members(parse.GetValue(checkpoints)!);
            var ds = members.Dataset;
            var store = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataCommands.DataDir)));
            var files = DatasetFiles.Read(await ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel)), ds);
            using var set = which == "test" ? ImageSet.From(files.TestImages, files.TestLabels, $"{ds.Name} test") : ValidationSet(files, members);
            var labels = set.Labels.data<long>().ToArray();
            var evaluations = members.All.Select(m => Evaluator.Evaluate(m.Model, set, m.Header.Recipe.EvalBatch)).ToList();
            foreach (var (m, e) in members.All.Zip(evaluations))
                Console.WriteLine($"{m.Path}: {which} {Describe(e)}  [{m.Header.Recipe.Name}, epoch {m.Header.State.Epoch}]");
            var shown = evaluations[0];
            if (evaluations.Count > 1)
            {
                shown = Evaluator.Ensemble(evaluations, labels);
                Console.WriteLine($"ensemble of {evaluations.Count} (probabilities averaged): {which} {Describe(shown)}");
            }
            var classes = ClassNames.Of(ds);
            var mistakes = ConfusionMatrix.Mistakes(ConfusionMatrix.Count(labels, shown.Predictions, classes.Count)).Take(5);
            Console.WriteLine($"most frequent mistakes (true as predicted): {string.Join(", ", mistakes.Select(m => $"{classes[m.True]} as {classes[m.Predicted]}: {m.Count}"))}");
            return 0;
        });
        return cmd;
    }

    static string Describe(Evaluation e) => string.Create(CultureInfo.InvariantCulture,
        $"accuracy {100 * e.Accuracy:F2}% ({Math.Round((1 - e.Accuracy) * e.Count)} of {e.Count} wrong), loss {e.Loss:F4}");

    /// <summary>The validation images the checkpoints were selected on. The split is a pure function of (dataset,
    /// labels, seed, scheme), so each checkpoint's recipe recreates it; an ensemble must share it, or one member's
    /// validation images would be another's training images.</summary>
    static ImageSet ValidationSet(DatasetFiles files, Members members)
    {
        int[] Validation(Recipe r) => Split.Create(members.Dataset.Name, files.TrainLabels.Data, r.Labels, r.Seed, r.Split).Validation;
        var (first, _, header) = members.All[0];
        var validation = Validation(header.Recipe);
        if (members.All.Skip(1).FirstOrDefault(m => !Validation(m.Header.Recipe).SequenceEqual(validation)) is { Path: not null } other)
            throw new SemisupException($"--split validation: {other.Path} and {first} were trained on different splits, so one's validation images are the other's training images. Evaluate the ensemble on test, or ensemble runs that share a split (the same seed, or \"split\": \"lab\", which is the same for every seed).");
        using var train = ImageSet.From(files.TrainImages, files.TrainLabels, $"{members.Dataset.Name} train");
        return train.Subset(validation);
    }

    public static Command Predict()
    {
        var input = new Option<string>("--input", "-i") { Description = "An image file (PNG, JPEG, BMP, GIF or WebP), a directory of them, or an IDX image file.", Required = true };
        var limit = new Option<int>("--limit") { Description = "At most this many images from an IDX file.", DefaultValueFactory = _ => 20 };
        var cmd = new Command("predict", "Print the predicted class and probabilities for images (of an ensemble's averaged probabilities, with several checkpoints).") { CheckpointPaths, input, limit };
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(limit) < 1) throw new SemisupException($"--limit {parse.GetValue(limit)}: give at least 1 image.");
            using var members = new Members(parse.GetValue(CheckpointPaths)!);
            var path = parse.GetValue(input)!;
            var (names, pixels) = ReadInputs(path, parse.GetValue(limit));
            using var images = tensor(pixels).reshape(names.Count, 1, 28, 28);
            var probs = Evaluator.Average(members.All.Select(m => Evaluator.Probabilities(m.Model, images)).ToList());
            var classes = ClassNames.Of(members.Dataset);
            for (int i = 0; i < names.Count; i++)
            {
                var p = probs.AsSpan(i * classes.Count, classes.Count).ToArray();
                int best = Array.IndexOf(p, p.Max());
                if (pixels.AsSpan(i * 784, 784).IndexOfAnyExcept(0f) < 0)
                    Console.Error.WriteLine($"warning: {names[i]}: no ink found (a blank image), so the prediction below means nothing.");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{names[i]}: {classes[best]}  ({100 * p[best]:F1}%)  [{string.Join(" ", p.Select((v, k) => $"{classes[k]}:{v:F3}"))}]"));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The formats <see cref="DigitImage.Load"/> decodes.</summary>
    static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    static (List<string> Names, float[] Pixels) ReadInputs(string path, int limit)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path).Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).Order().ToList();
            if (files.Count == 0) throw new SemisupException($"{path}: no image files ({string.Join(", ", ImageExtensions)}) in this directory.");
            return (files, files.SelectMany(DigitImage.Load).ToArray());
        }
        if (!File.Exists(path)) throw new SemisupException($"{path}: no such file or directory.");
        using (var head = File.OpenRead(path))
        {
            var magic = new byte[4];
            // A shorter file is no IDX file; the image reader below says it is no image either.
            bool idxOrGzip = head.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) == magic.Length
                && (magic[0] == 0 && magic[1] == 0 || magic[0] == 0x1f && magic[1] == 0x8b);
            if (idxOrGzip)
            {
                var idx = Idx.Read(path);
                if (idx.Shape is not [_, 28, 28]) throw new SemisupException($"{path}: expected N×28×28 images, got {string.Join("x", idx.Shape)}.");
                int n = Math.Min(idx.Count, limit);
                return (Enumerable.Range(0, n).Select(i => $"{Path.GetFileName(path)}[{i}]").ToList(),
                    idx.Data.Take(n * 784).Select(b => b / 255f).ToArray());
            }
        }
        return ([path], DigitImage.Load(path));
    }
}
