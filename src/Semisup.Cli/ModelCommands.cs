using System.CommandLine;
using System.Globalization;
using Semisup.Data;
using Semisup.Runs;

namespace Semisup.Cli;

static class ModelCommands
{
    static readonly Option<string[]> CheckpointPaths = new("--checkpoint", "-c")
    {
        Description = "A checkpoint file (best.ckpt or last.ckpt of a run, or one under models/); give it more than once for an ensemble (probabilities averaged).",
        Required = true,
    };

    public static Command Evaluate()
    {
        var split = new Option<string>("--split") { Description = "validation or test: of the dataset, or of the folder of images, the checkpoints trained on.", DefaultValueFactory = _ => "test" };
        var data = new Option<string?>("--data")
        {
            Description = "Score on this folder of labeled images instead (<class>/ folders of images, or a data set folder's test/), or a CSV of path,label; the classes are the checkpoint's.",
        };
        // Not required here: --onnx scores an exported model instead.
        var checkpoints = new Option<string[]>("--checkpoint", "-c") { Description = CheckpointPaths.Description };
        var cmd = new Command("evaluate", "Print a checkpoint's (or an ensemble's, or an exported ONNX model's) accuracy and loss on the validation or test set, or on a folder of labeled images.")
            { checkpoints, split, data, Shifts, Raw, ThreadCount, DataCommands.DataDir, ImageDataCommands.MemoryLimit, ImageDataCommands.SkipUnreadable, ExportCommand.Onnx };
        cmd.Validators.Add(ExportCommand.CheckpointsOrOnnx(checkpoints));
        cmd.SetAction(async (parse, cancel) =>
        {
            Threads.Use(parse.GetValue(ThreadCount));
            if (Threads.Warning(parse.GetValue(ThreadCount) ?? 1) is { } warning) Console.Error.WriteLine(warning);
            if (parse.GetValue(ExportCommand.Onnx) is { } onnx) return await ExportCommand.EvaluateOnnxAsync(onnx, parse.GetValue(split)!, DataCommands.Locator(parse, cancel));
            var report = await Scoring.EvaluateAsync(parse.GetValue(checkpoints)!, parse.GetValue(split)!, DataCommands.Locator(parse, cancel), parse.GetValue(Shifts),
                Console.Error.WriteLine, parse.GetValue(data), ImageDataCommands.TrainLoadOptions(parse), cancel, parse.GetValue(Raw));
            foreach (var (path, recipe, epoch, evaluation, shifted) in report.Members)
                Console.WriteLine($"{path}: {report.Split} {Describe(evaluation, raw: evaluation.Temperature == null)}{WithShifts(shifted)}  [{recipe.Name}, epoch {epoch}]");
            if (report.Ensemble is { } ensemble)
                Console.WriteLine($"ensemble of {report.Members.Count} (probabilities averaged): {report.Split} {Describe(ensemble, raw: report.Members.All(m => m.Evaluation.Temperature == null))}{WithShifts(report.ShiftedEnsemble)}");
            Console.WriteLine($"most frequent mistakes (true as predicted): {string.Join(", ", report.Mistakes.Select(m => $"{m.True} as {m.Predicted}: {m.Count}"))}");
            return 0;
        });
        return cmd;
    }

    /// <summary>A score, with its calibration error: a checkpoint's with its temperature beside the raw one, or "(raw)"
    /// for uncalibrated probabilities (no temperature, or --raw).</summary>
    static string Describe(Evaluation e, bool raw) => string.Create(CultureInfo.InvariantCulture,
        $"accuracy {100 * e.Accuracy:F2}% ({Math.Round((1 - e.Accuracy) * e.Count)} of {e.Count} wrong), loss {e.Loss:F4}, ECE {100 * e.ExpectedError:F2}%")
        + (e is { Raw: { } r, Temperature: { } t } ? string.Create(CultureInfo.InvariantCulture, $" (raw {100 * r.ExpectedError:F2}%, temperature {t:F3})") : raw ? " (raw)" : "");

    static string WithShifts(Evaluation? shifted) => shifted is null ? "" : string.Create(CultureInfo.InvariantCulture,
        $"; with test-time shifts {100 * shifted.Accuracy:F2}% ({Math.Round((1 - shifted.Accuracy) * shifted.Count)} wrong)");

    static readonly Option<int?> ThreadCount = new("--threads") { Description = "libtorch's threads (default: as many as cores)." };

    static readonly Option<bool> Raw = new("--raw")
    {
        Description = "Uncalibrated probabilities: the logits' softmax without the temperature stored in the checkpoint (the classes are the same).",
    };

    static readonly Option<bool> Shifts = new("--shifts")
    {
        Description = "Also average each image's probabilities with those of its four one-pixel shifts (test-time augmentation); printed beside the plain result.",
    };

    public static Command Predict()
    {
        var input = new Option<string>("--input", "-i") { Description = "An image file (PNG, JPEG, BMP, GIF or WebP), a folder of them (searched through), or an IDX image file.", Required = true };
        var limit = new Option<int>("--limit") { Description = "At most this many images from an IDX file.", DefaultValueFactory = _ => 20 };
        var output = new Option<string?>("--out", "-o") { Description = "Also write a CSV: path, predicted class, its probability, then each class's probability under its name." };
        var cmd = new Command("predict", "Print the predicted class and probabilities for images (of an ensemble's averaged probabilities, with several checkpoints).") { CheckpointPaths, input, limit, output, Shifts, Raw, ThreadCount };
        cmd.SetAction(parse =>
        {
            Threads.Use(parse.GetValue(ThreadCount));
            if (Threads.Warning(parse.GetValue(ThreadCount) ?? 1) is { } warning) Console.Error.WriteLine(warning);
            var (images, classes, failures) = Prediction.Predict(parse.GetValue(CheckpointPaths)!, parse.GetValue(input)!, parse.GetValue(limit), parse.GetValue(Shifts), Console.Error.WriteLine, parse.GetValue(Raw));
            foreach (var image in images)
            {
                // A name with a line break or another control character would split the line: it is written as a JSON string.
                var name = image.Name.Any(char.IsControl) ? System.Text.Json.JsonSerializer.Serialize(image.Name) : image.Name;
                if (image.Blank) Console.Error.WriteLine($"warning: {name}: no ink found (a blank image), so the prediction below means nothing.");
                var p = image.Probabilities;
                var shifted = image.ShiftedClass is int s ? string.Create(CultureInfo.InvariantCulture, $"  with test-time shifts: {classes[s]} ({100 * image.Shifted![s]:F1}%)") : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: {classes[image.Class]}  ({100 * p[image.Class]:F1}%)  [{string.Join(" ", p.Select((v, k) => $"{classes[k]}:{v:F3}"))}]") + shifted);
            }
            foreach (var failure in failures) Console.Error.WriteLine($"error: {failure}");
            if (parse.GetValue(output) is { } csv) Prediction.WriteCsv(csv, images, classes);
            return failures.Count > 0 ? 1 : 0;
        });
        return cmd;
    }
}
