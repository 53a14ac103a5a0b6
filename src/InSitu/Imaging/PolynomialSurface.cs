namespace InSitu.Imaging;

/// <summary>
/// Least-squares polynomial surface of a given degree in u, v (from -0.5 to 0.5 across the image) over chosen pixels of
/// an image: the shape of uneven illumination and vignetting, smooth enough not to follow an embryo. Degree 2 is a
/// tilted bowl; degree 4 also follows the steeper fall of light into a photo's corners.
/// </summary>
public static class PolynomialSurface
{
    /// <summary>Fits the surface to <paramref name="values"/> where <paramref name="use"/> and writes it, everywhere, into
    /// <paramref name="surface"/>. With too few pixels, or a singular system, the surface is the mean of the chosen ones.</summary>
    public static void Fit(float[] values, bool[] use, int width, int height, float[] surface, int degree)
    {
        int terms = (degree + 1) * (degree + 2) / 2;
        var m = new double[terms, terms + 1];
        var f = new double[terms];
        int n = 0;
        double sum = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                if (!use[i]) continue;
                Terms(x, y, width, height, degree, f);
                for (int a = 0; a < terms; a++)
                {
                    for (int b = a; b < terms; b++) m[a, b] += f[a] * f[b];
                    m[a, terms] += f[a] * values[i];
                }
                sum += values[i];
                n++;
            }
        for (int a = 0; a < terms; a++)
            for (int b = 0; b < a; b++) m[a, b] = m[b, a];
        var coef = new double[terms];
        if (n < 2 * terms || !Solve(m, terms, n, coef))
        {
            Array.Fill(surface, n == 0 ? 0 : (float)(sum / n));
            return;
        }
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                Terms(x, y, width, height, degree, f);
                double v = 0;
                for (int a = 0; a < terms; a++) v += coef[a] * f[a];
                surface[y * width + x] = (float)v;
            }
    }

    /// <summary>u^i v^j for i + j &lt;= degree.</summary>
    private static void Terms(int x, int y, int width, int height, int degree, double[] f)
    {
        double u = (x + 0.5) / width - 0.5, v = (y + 0.5) / height - 0.5;
        int t = 0;
        double ui = 1;
        for (int i = 0; i <= degree; i++, ui *= u)
        {
            double term = ui;
            for (int j = 0; i + j <= degree; j++, term *= v) f[t++] = term;
        }
    }

    /// <summary>Gauss-Jordan with partial pivoting; a small ridge keeps it solvable when the pixels leave a direction
    /// unconstrained (all on a line, or in one corner).</summary>
    private static bool Solve(double[,] m, int terms, int n, double[] coef)
    {
        for (int a = 0; a < terms; a++) m[a, a] += 1e-7 * n;
        for (int col = 0; col < terms; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < terms; r++) if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col])) pivot = r;
            for (int k = 0; k <= terms; k++) (m[col, k], m[pivot, k]) = (m[pivot, k], m[col, k]);
            if (Math.Abs(m[col, col]) < 1e-15) return false;
            for (int r = 0; r < terms; r++)
            {
                if (r == col) continue;
                double factor = m[r, col] / m[col, col];
                for (int k = col; k <= terms; k++) m[r, k] -= factor * m[col, k];
            }
        }
        for (int a = 0; a < terms; a++) coef[a] = m[a, terms] / m[a, a];
        return true;
    }
}
